/** The ways the store refuses to open. */
export class StoreLockedError extends Error {
  constructor(dir: string) {
    super(`the state directory ${dir} is in use by another imagectl agent (LevelDB lock held)`);
  }
}

/** The store exists but cannot be read completely: the agent refuses to act on it. */
export class StoreDamagedError extends Error {
  constructor(readonly dir: string, readonly detail: string) {
    super(`the store in ${dir} is damaged and was not used (${detail}); nothing was removed. Run \`imagectl agent --repair --state-dir ${dir}\` to rebuild what can be rebuilt from Docker; it reports what was lost`);
  }
}
