/** Checks a provider's options share: one message shape for every provider. */
import { ValidationError } from '../errors.js';

export function optionError(provider: string, option: string, message: string): ValidationError {
  return new ValidationError(`${provider} option ${option} ${message}`, {
    reason: 'invalid_option',
    details: { option },
  });
}

/** An integer option from `min` to `max`, or `fallback` when not given. */
export function integerOption(
  provider: string,
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw optionError(provider, option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}
