export * from './worker';
export { makeNotifyWebhookHandler, type NotifierConfig, type NotifierDeps } from './handlers/notify-webhook.handler';
export { signDelivery } from './delivery/webhook-signature';
export { WebhookPayload, renderBody } from './delivery/webhook-payload';
