// Jest setup for every test file: traffic to loopback only (see network-guard.ts).
import { installNetworkGuard, isLoopbackIp } from './network-guard';

installNetworkGuard(isLoopbackIp, 'loopback');
