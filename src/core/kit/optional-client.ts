/**
 * Loads a provider's module, and with it the backend's client, an optional
 * peer dependency: an application that does not install the client gets a
 * typed error that says which package to install, not a module-not-found.
 */
import { UnsupportedError } from '../errors.js';

const CLIENTS: Record<string, string> = { kafka: 'Kafka', redis: 'Redis', nats: 'NATS' };

export async function withOptionalClient<T>(
  provider: string,
  clientPackage: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(clientPackage)) {
      throw new UnsupportedError(
        `${provider}: the ${CLIENTS[provider] ?? provider} client is not installed; run: npm install ${clientPackage}`,
        { reason: `${provider}_client_missing`, cause: error },
      );
    }
    throw error;
  }
}
