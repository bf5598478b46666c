/**
 * Masking of a client's personal data for callers who may not see it (the viewer role): the national identifier,
 * the e-mail address and the phone number keep just enough to recognise a record (the last characters, the mail
 * domain) and nothing that identifies a person. Pure: no I/O.
 */
import type { Role } from '../http/auth.js';

/** `85010112345` → `*******2345` (at most the last 4 characters, fewer for short values). */
export function maskIdentifier(value: string): string {
  const visible = Math.min(4, Math.floor(value.length / 3));
  return '*'.repeat(value.length - visible) + value.slice(value.length - visible);
}

/** `anna.nowak@example.pl` → `a***@example.pl`; a value without an @ is masked whole. */
export function maskEmail(value: string | null): string | null {
  if (value === null) return null;
  const at = value.lastIndexOf('@');
  if (at < 1) return '***';
  return `${value.slice(0, 1)}***${value.slice(at)}`;
}

/** `+48 601 234 567` → `+** *** *** *67`: every digit but the last two becomes `*`. */
export function maskPhone(value: string | null): string | null {
  if (value === null) return null;
  const digits = value.replace(/\D/g, '').length;
  let seen = 0;
  return value.replace(/\d/g, (d) => (++seen > digits - 2 ? d : '*'));
}

export interface ClientPii {
  identifier: string;
  email: string | null;
  phone: string | null;
}

/** The client's identifier, e-mail and phone as `role` may see them (analysts and leads: as stored; viewers: masked). */
export function piiFor<T extends ClientPii>(client: T, role: Role): T {
  if (role !== 'viewer') return client;
  return {
    ...client,
    identifier: maskIdentifier(client.identifier),
    email: maskEmail(client.email),
    phone: maskPhone(client.phone),
  };
}
