import assert from 'node:assert/strict';
import { test } from 'node:test';
import { variantPath } from '../../src/sync/index.js';

// Names git-annex 10.20230126 gave both sides of real merge conflicts (each pair from one `git annex sync`).
const FROM_GIT_ANNEX: readonly (readonly [string, string, string])[] = [
  ['.bashrc', 'SHA256E-s12--e8f505d0f200dc1b7f0b5914dbd02e5047d0ca856021dba3ea8144b3d0350606', '.variant-8d30.bashrc'],
  ['.bashrc', 'SHA256E-s12--98de8c3b7ffa4e44bedee424ca94b8754ad55d654ac15052167f6ce614f35f09', '.variant-d7fe.bashrc'],
  ['dir/a.tar.gz', 'SHA256E-s17--5f74ea2b7c92d3b18436b378f0a2715af60c47868b3192502fe55acbeafb5f38.tar.gz', 'dir/a.tar.variant-ae29.gz'],
  ['dir/a.tar.gz', 'SHA256E-s17--32164d893fd64262f0033b2390591c9f115149ff8e59827e124b247a78d34439.tar.gz', 'dir/a.tar.variant-fe66.gz'],
  ['noext', 'SHA256E-s10--d46a023c58de6487017c172dc7b013db0c7a69788b97d936cc47ac9244e8628c', 'noext.variant-281a'],
  ['noext', 'SHA256E-s10--97500edb4396b41ec3c8fcc0f8b5f47d386b553e2f297b88bac824285e70d5fd', 'noext.variant-b23b'],
  // A name that already holds ".variant-" gets the whole key (its keyFile) instead of 4 hex digits.
  ['x.variant-1234.txt', 'SHA256E-s23--16ceffd90d27f86013832080997f54c2bf720d3092de3d3bb5295a4a3529ad67.txt',
    'x.variant-1234.variant-SHA256E-s23--16ceffd90d27f86013832080997f54c2bf720d3092de3d3bb5295a4a3529ad67.txt.txt'],
  ['x.variant-1234.txt', 'SHA256E-s23--75b8525db0d9efe0bb551c775b515cd2403e67a2df5832cf7ad5d2368e13c9cb.txt',
    'x.variant-1234.variant-SHA256E-s23--75b8525db0d9efe0bb551c775b515cd2403e67a2df5832cf7ad5d2368e13c9cb.txt.txt'],
];

test('variant names are the ones git-annex gives: NAME.variant-XXXX.EXT, XXXX from md5 of the key', () => {
  for (const [path, key, expected] of FROM_GIT_ANNEX) assert.equal(variantPath(path, key), expected, `${path} ${key}`);
});

test('a key that needs escaping in a file name is escaped in a long variant name, as keyFile escapes it', () => {
  assert.equal(variantPath('a.variant-x.bin', 'WORM-s1-m2--d/e%f:g'), 'a.variant-x.variant-WORM-s1-m2--d%e&sf&cg.bin');
});
