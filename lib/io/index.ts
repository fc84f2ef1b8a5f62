// io: checkpoint files and images.
export { loadSafetensors, saveSafetensors, readHeader, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsHeader, TensorEntry } from './safetensors';
export { decodePnm, decodeImage, imageToTensor, pixelsToTensor, loadImage, loadImages, saveImage } from './image';
export type { DecodedImage, ImageSource, LoadImagesOptions, SaveImageOptions } from './image';
export { presets, IMAGENET_MEAN, IMAGENET_STD, resizedSize, centerCropOffsets, normalize } from './presets';
export type { ImagePreset, ImagePresetOptions } from './presets';
export { loadPth, PthStateDict } from './pth';
export type { LoadPthOptions } from './pth';
