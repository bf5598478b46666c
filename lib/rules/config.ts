/**
 * Every detection threshold in one typed object: each rule's settings (its `defaults`, declared in its module) and
 * the risk scoring's. `DEFAULT_RULES_CONFIG` is what the scan uses unless a run is given another (tests do; the CLI
 * and the Lambda use the defaults). Each rule has `enabled`.
 * The whole object is stored on every scan_runs row and the relevant part on every alert's evidence, so an analyst
 * always sees the thresholds that were in force.
 */
import { ALL_RULES, type RuleSettingsById } from './registry.js';

export interface RiskConfig {
  /**
   * A transaction's risk: its strongest signal's score plus `otherWeight` × each other signal's, capped at 100
   * (rules sharing a signal — the two amount rules; unusual-pattern and velocity — count as one: the higher score).
   */
  otherWeight: number;
  /** Level boundaries on that combined score: ≥ high ⇒ High, ≥ medium ⇒ Medium, else Low. */
  medium: number;
  high: number;
  /**
   * Medium or above needs a finding strong on its own (a signal scoring ≥ `strong`) or two independent signals that
   * agree (each scoring ≥ `agree`); anything else is capped at Low, whatever the combined score. `strongByRule`
   * overrides `strong` for a rule whose scale differs.
   */
  strong: number;
  strongByRule: Record<string, number>;
  agree: number;
  /**
   * Titles that declare a legitimate purpose for a large one-off payment (a house deposit, a notary). When only
   * amount rules fired and the title matches, the transaction stays Low: the analyst still sees the alert.
   */
  declaredPurpose: string;
  /**
   * Titles that declare salaries. When only the series, velocity and amount rules fired (a business paying its staff
   * one after another, above the population's usual amounts) and the title matches, the transaction stays Low too.
   */
  declaredPayroll: string;
}

/** Every rule's settings (by rule id, from the registry) and the risk scoring's. */
export type RulesConfig = RuleSettingsById & { risk: RiskConfig };

export const DEFAULT_RULES_CONFIG: RulesConfig = {
  ...(Object.fromEntries(ALL_RULES.map((r) => [r.id, r.defaults])) as RuleSettingsById),
  risk: {
    otherWeight: 0.4,
    medium: 40,
    high: 70,
    strong: 50,
    // client-baseline's spike (an amount far beyond anything the account ever paid) is enough alone from 10× the largest.
    strongByRule: { 'client-baseline': 47.5 },
    agree: 25,
    declaredPayroll:
      '\\b(salary|salaries|payroll|wages?|gehalt|lohn|wynagrodzenie|pensja|salaire|salario|n[oó]mina|stipendio|salaris|loon|l[oö]n)\\b',
    declaredPurpose:
      '\\b(house|home|flat|apartment|property|mortgage|notary|down ?payment|real estate|zaliczka|mieszkanie|dom|wohnung|haus|notar|maison|appartement|notaire|casa|piso|hipoteca|notario|huis|hypotheek|bostad|lägenhet)\\b',
  },
};
