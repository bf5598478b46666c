-- The saved detection state becomes binary (issue 4, speed): lib/rules/state-codec.ts encodes what a client's rules
-- remember as little-endian doubles, which an incremental scan decodes and encodes without JSON in between. The
-- JSON states of 0031 are dropped together with their watermark, so the next scan rebuilds every state with one
-- full scan (the scan runs a full scan whenever the state watermark lags the alert watermark).

DELETE FROM scan_client_state;
DELETE FROM scan_watermarks WHERE name = 'anomaly-scan:state';
ALTER TABLE scan_client_state
  MODIFY state MEDIUMBLOB NOT NULL COMMENT 'lib/rules/engine.ts ClientDetector.save (lib/rules/state-codec.ts)';
