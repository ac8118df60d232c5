export { FastLearner, type FastLearnerOptions } from './fast-learner.ts';
export { fastLearnerAvailable, setFastLearnerThreads, NATIVE_ADDON_PATH } from './native.ts';
