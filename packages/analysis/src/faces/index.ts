// Face detection alone (what the resize worker loads for `position: "faces"` variants): no OCR, no provider.
export { FaceEngine, MIN_FACE_SCORE, type DetectedFace } from './face.engine';
export { detectFaces, FACES_SIDE } from './detect-faces';
