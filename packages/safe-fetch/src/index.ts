/** @pixmill/safe-fetch: fetch strangers' URLs (image URLs, webhooks) without ever reaching private networks. */
export { classifyAddress, type AddressClass } from './classify-address';
export { FetchError, isTransientStatus, type FetchErrorCode } from './fetch-error';
export type { Lookup } from './lookup';
export {
  createSafeFetcher,
  type SafeFetchOptions,
  type SafeFetcher,
  type GetResult,
  type RequestResult,
} from './safe-fetcher';
export { parseAllowHosts, type AllowEntry } from './allow-hosts';
export { assertFetchableUrl, assertResolvesPublic, checkUrl, type Target } from './url-policy';
