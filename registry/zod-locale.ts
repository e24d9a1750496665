import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini, unlike classic zod, sets no locale: without English every issue zod words itself (a
// wrong type, an unknown key, a bound without a message of ours) would read "Invalid input".
// Imported by every module whose schemas' messages reach a person or a log, so that it runs
// before anything is parsed. It lives in registry/, the lowest layer that parses with zod, so that
// every layer above can import it.
z.config(en());
