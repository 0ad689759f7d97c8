// The tests' network guard (infra/jest/network-guard.ts): which addresses each suite may reach, and that a refused
// connect throws before anything is sent, whichever way the socket is opened. Nothing here opens a real socket: the
// guard is tried around a recorder in place of the real connect.
import http from 'node:http';
import net from 'node:net';
import { connectHost, guardedConnect, isLoopbackIp, isScaleTestHostIp } from '../infra/jest/network-guard';

describe('network guard', () => {
  it('knows loopback in both families', () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect([ip, isLoopbackIp(ip)]).toEqual([ip, true]);
    for (const ip of ['10.0.0.1', '198.18.0.5', '::2', '0.0.0.0', '128.0.0.1'])
      expect([ip, isLoopbackIp(ip)]).toEqual([ip, false]);
  });

  it('takes exactly 198.18.0.0/24 as the scale test hosts', () => {
    for (const ip of ['198.18.0.0', '198.18.0.1', '198.18.0.255', '::ffff:198.18.0.7'])
      expect([ip, isScaleTestHostIp(ip)]).toEqual([ip, true]);
    for (const ip of ['198.18.1.1', '198.19.0.1', '198.180.0.1', '10.198.18.0', '127.0.0.1', '198.18.0.256', '::1'])
      expect([ip, isScaleTestHostIp(ip)]).toEqual([ip, false]);
  });

  describe('around the real connect', () => {
    const real = net.Socket.prototype.connect;
    let calls: unknown[][] = [];
    const recorder = function (this: net.Socket, ...args: unknown[]) {
      calls.push(args);
      return this;
    } as typeof real;
    beforeEach(() => {
      calls = [];
      net.Socket.prototype.connect = guardedConnect(recorder, isLoopbackIp, 'loopback');
    });
    afterEach(() => {
      net.Socket.prototype.connect = real;
    });

    it.each([
      ['socket.connect(port, host)', (host: string) => new net.Socket().connect(80, host)],
      ['socket.connect({ host, port })', (host: string) => new net.Socket().connect({ host, port: 80 })],
      ['net.connect({ host, port })', (host: string) => net.connect({ host, port: 80 })],
      ['net.createConnection(port, host)', (host: string) => net.createConnection(80, host)],
      ['http.request (an agent)', (host: string) => http.request({ host, port: 80, agent: new http.Agent() })],
    ])('%s: refused to a non-loopback address, passed on to loopback', (_how, open) => {
      expect(() => open('198.18.0.5')).toThrow('tests may connect only to loopback, not 198.18.0.5');
      expect(() => open('10.1.2.3')).toThrow('tests may connect only to loopback, not 10.1.2.3');
      expect(calls).toHaveLength(0);
      const opened = open('127.0.0.1');
      opened.on('error', () => undefined).destroy(); // the recorder never connected it
      expect(calls.map(connectHost)).toEqual(['127.0.0.1']);
    });

    it('leaves Unix sockets and names (which the guarded lookup answers) alone', () => {
      net.connect({ path: '/tmp/nothing.sock' }).destroy();
      new net.Socket().connect(80, 'localhost').destroy();
      expect(calls.map(connectHost)).toEqual([undefined, 'localhost']);
    });
  });
});
