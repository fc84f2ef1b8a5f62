// io: checkpoint files.
export { loadSafetensors, saveSafetensors, readHeader, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsHeader, TensorEntry } from './safetensors';
export { decodePnm, imageToTensor, loadImage, IMAGENET_MEAN, IMAGENET_STD } from './image';
export type { DecodedImage } from './image';
