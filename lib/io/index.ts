// io: checkpoint files.
export { loadSafetensors, saveSafetensors, readHeader, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsHeader, TensorEntry } from './safetensors';
