/** The package's version, from its package.json (an import, not a file read: crd/ does no I/O). */
import pkg from '../../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
