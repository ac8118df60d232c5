export { FastLearner, type FastLearnerOptions } from './fast-learner.ts';
export { fastLearnerAvailable, NATIVE_ADDON_PATH } from './native.ts';
