/**
 * dynopool/testing: tools for checking gradients, not for training. Import them from
 * 'dynopool/testing' so that the main entry point holds only what a model needs.
 */
export { freezeSizes } from './freeze-sizes.js';
