// Signed results links (`GET /api/v1/batches/:id/results.csv?token=…`), for readers without an API token such as
// webhook receivers. The signing half lives in @pixmill/batch-state so the notifier makes the same links.
export {
  RESULTS_LINK_TTL_SECONDS,
  resultsLinkExpiry,
  resultsLinkUrl,
  signResultsLink,
  verifyResultsLink,
} from '@pixmill/batch-state';
