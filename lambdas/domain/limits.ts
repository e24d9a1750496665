/** The most orgs one `POST /feature-flags/{key}/orgs` may name. Also read by the admin UI, which bundles no zod. */
export const MAX_BULK_ORGS = 100;
