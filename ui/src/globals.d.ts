/** `true` in the local build only (an esbuild `define`): the AWS build drops every branch it guards. */
declare const __LOCAL_SIGN_IN__: boolean;

/** Stylesheets imported for their effect; the build bundles them. */
declare module '*.css';
