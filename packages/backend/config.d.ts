export interface Config {
  /** Settings of this portal's backend. */
  portal?: {
    /**
     * `owners` (default): a model's deployments, switches and alerts may only be changed by the
     * owners of its catalog entity; everything else is allowed to signed-in users.
     * `allow-all`: everything is allowed; for local development only.
     */
    permissionPolicy?: 'owners' | 'allow-all';
  };
}
