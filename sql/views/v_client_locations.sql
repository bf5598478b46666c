-- Clients per country and city (from locations), with the country's English name for map visuals' geocoding.
CREATE OR REPLACE VIEW v_client_locations AS
SELECT cl.country,
       CASE cl.country
         WHEN 'PL' THEN 'Poland' WHEN 'GB' THEN 'United Kingdom' WHEN 'DE' THEN 'Germany' WHEN 'FR' THEN 'France'
         WHEN 'ES' THEN 'Spain' WHEN 'IT' THEN 'Italy' WHEN 'NL' THEN 'Netherlands' WHEN 'SE' THEN 'Sweden'
         WHEN 'AT' THEN 'Austria' ELSE cl.country
       END AS country_name,
       cl.city, cl.clients
  FROM analytics_client_locations cl;
