import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A second, private PostgreSQL server (the machine's own binaries) that accepts TLS connections
 * only, with a certificate for 127.0.0.1/localhost signed by a CA generated here — and a second,
 * unrelated CA to prove that a wrong one is refused. The machine's shared server is left untouched.
 */
export interface TlsPostgres {
  url(database: string, params: Record<string, string>): string;
  ca: string;
  wrongCa: string;
  port: number;
  stop(): Promise<void>;
}

function binDir(): string {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort();
  const latest = versions[versions.length - 1];
  if (!latest) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install postgresql');
  return path.join('/usr/lib/postgresql', latest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCertificates(dir: string): void {
  for (const ca of ['ca', 'wrong-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=keiko test ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  }
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
}

/** Waits for the server's own "ready to accept connections" line: the event, not a polling delay. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the TLS PostgreSQL server exited (${code}): ${output}`)));
  });
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  if (process.getuid?.() !== 0) throw new Error('the TLS tests start a PostgreSQL server as the postgres user and need root (CI runs as root)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-tls-pg-'));
  const data = path.join(dir, 'data');
  makeCertificates(dir);
  fs.chmodSync(dir, 0o755);
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o644);
  fs.mkdirSync(data);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  const bin = binDir();
  execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust'], { stdio: 'ignore' });
  // TLS only: a plain connection over TCP is rejected, so a tool that dropped sslmode could not connect at all
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n');
  const port = await freePort();
  const child = spawn('runuser', [
    '-u',
    'postgres',
    '--',
    path.join(bin, 'postgres'),
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'ssl=on',
    '-c',
    `ssl_cert_file=${path.join(dir, 'server.crt')}`,
    '-c',
    `ssl_key_file=${path.join(dir, 'server.key')}`,
    '-c',
    'fsync=off',
  ]);
  await ready(child);
  return {
    port,
    ca: path.join(dir, 'ca.crt'),
    wrongCa: path.join(dir, 'wrong-ca.crt'),
    url(database, params) {
      const url = new URL(`postgresql://postgres@127.0.0.1:${port}/${database}`);
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      return url.toString();
    },
    async stop() {
      const exited = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
      // pg_ctl waits for the shutdown to finish (runuser does not pass a signal on to the server)
      execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', data, 'stop', '-m', 'fast', '-w'], { stdio: 'ignore' });
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
