// Jest setup for the scale suite: traffic to loopback and to the suite's own test hosts (198.18.0.0/24, in network
// namespaces it makes) only; see network-guard.ts.
import { installNetworkGuard, isLoopbackIp, isScaleTestHostIp } from './network-guard';

installNetworkGuard(
  (ip) => isLoopbackIp(ip) || isScaleTestHostIp(ip),
  'loopback or the scale test hosts (198.18.0.0/24)',
);
