// What to tell a user whose addon does not load (sharp's "Possible solutions" habit): what was looked
// for, why it failed, and the commands that fix it. No stack trace of node-gyp-build's internals.

/** The message for `err`, thrown by node-gyp-build while loading the addon from package root `root`. */
export function loadErrorMessage(err: unknown, root: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  const libc = process.platform === 'linux' ? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header?.glibcVersionRuntime : undefined;
  const target = `${process.platform}-${process.arch} (Node ${process.versions.node}${libc ? `, glibc ${libc}` : ''})`;
  const notFound = /No native build was found/.test(raw);
  const lines = [
    notFound
      ? `convnets: no native addon for ${target}: neither a prebuilt binary (prebuilds/) nor a source build (build/Release) in ${root}.`
      : `convnets: the native addon for ${target} was found but failed to load: ${raw.split('\n')[0]}`,
    'Possible solutions:',
  ];
  if (notFound) {
    lines.push('- Let the install script build it: npm rebuild convnets (needs cmake >= 3.18, make and a C++17 compiler; ' +
      'CUDA is built when nvcc is found, CONVNETS_CUDA=0 skips it).');
    lines.push('- npm 11 skips a dependency\'s install script until it is approved: npm install-scripts approve convnets ' +
      '(writes "allowScripts" in your package.json), then npm rebuild convnets.');
    lines.push('- The prebuilt binary covers linux-x64 with glibc >= 2.36; elsewhere the install script builds from source.');
  } else {
    lines.push('- Build it for this machine: CONVNETS_BUILD_FROM_SOURCE=1 npm rebuild convnets (needs cmake >= 3.18, make and ' +
      'a C++17 compiler; CONVNETS_CUDA=0 skips CUDA).');
    if (/GLIBC_/.test(raw)) lines.push('- The prebuilt binary needs glibc >= 2.36 (Debian 12, Ubuntu 22.10, RHEL 10 or newer).');
  }
  return lines.join('\n');
}
