#!/usr/bin/env node
// The CLI runs the same bundle as the actions. It needs Node 24 (the Kubernetes client does not
// load on older versions); inside this repository npm scripts and npx provide it.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `error: keiko-rollback needs Node.js 24 or newer (this is ${process.version}). ` +
      'In a checkout run `npm ci` and then `npx keiko-rollback …`, which uses the node@24 dev dependency.\n',
  );
  process.exit(1);
}
// compiled code is kept between runs (an on-call engineer runs it again and again); a quiet optimisation
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { runCli } = await import('../dist/main/index.js');
process.exitCode = await runCli(process.argv.slice(2));
// a hung server's socket must not keep the command alive after its outcome is printed
setTimeout(() => process.exit(), 300).unref();
