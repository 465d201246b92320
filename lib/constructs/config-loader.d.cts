import type { loadConfig, loadConfigObject } from '../config/load-config.js';

/** The bundled config loader, loaded on first use. */
export declare function configLoader(): { readonly loadConfig: typeof loadConfig; readonly loadConfigObject: typeof loadConfigObject };
