// Jest setup for the unit tier: no connection to any address, so a test that needs PostgreSQL, RabbitMQ, Redis or a
// server fails here rather than passing because the machine happens to run them (see network-guard.ts).
import { installNetworkGuard } from './network-guard';

installNetworkGuard(() => false, 'no address (the unit tier runs with no services)');
