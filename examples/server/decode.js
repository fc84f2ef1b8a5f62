// Request bodies → one input tensor [3, S, S], by content type. Each decoder takes the raw body (a Buffer)
// and the model's input size; a body it cannot use throws an HttpError with the status to answer.
//   application/octet-stream, application/x-float32: a [3, S, S] float32 tensor (little-endian), preprocessed
//   image/x-portable-pixmap, image/x-portable-graymap: a binary PPM/PGM of S×S pixels (ImageNet-normalised here)
//   image/jpeg, image/png, image/webp: decoded by sharp through convnets.io when the library has it
//     (io.loadImage(buffer, io.presets.imagenet(...)): the model's preset resize and crop); until then 415.
'use strict';

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function makeDecoders(convnets) {
  const { Tensor, io } = convnets;
  const rawFloat32 = (body, size) => {
    const need = 3 * size * size * 4;
    if (body.length !== need) {
      throw new HttpError(400, `expected ${need} bytes (a [3, ${size}, ${size}] float32 tensor), got ${body.length}`);
    }
    // Copy into an aligned buffer (the body's offset in its pool need not be a multiple of 4).
    const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
    return Tensor.from(data, [3, size, size]);
  };
  const pnm = (body, size) => {
    let image;
    try {
      image = io.decodePnm(body);
    } catch (e) {
      throw new HttpError(400, e.message);
    }
    if (image.width !== size || image.height !== size) {
      throw new HttpError(400, `expected a ${size}×${size} image, got ${image.width}×${image.height} (resize it first)`);
    }
    return io.imageToTensor(image); // [1, 3, S, S]
  };
  // Compressed images: sharp decoding with torchvision's preset (resize the shorter side, center crop, normalise)
  // through io.loadImage(buffer, io.presets.imagenet(...)) where the library has them (they arrive with issue 15).
  const presets = new Map();
  const viaSharp = async (body, size) => {
    if (typeof io.decodeImage !== 'function' || typeof io.presets?.imagenet !== 'function') {
      throw new HttpError(415, 'compressed images need sharp decoding (convnets.io.decodeImage), which this build lacks: send PPM or raw float32');
    }
    if (!presets.has(size)) presets.set(size, io.presets.imagenet({ cropSize: size, resizeSize: Math.round((size * 256) / 224) }));
    try {
      return await io.loadImage(body, presets.get(size)); // [1, 3, size, size]
    } catch (e) {
      throw new HttpError(400, e.message);
    }
  };
  return {
    'application/octet-stream': rawFloat32,
    'application/x-float32': rawFloat32,
    'image/x-portable-pixmap': pnm,
    'image/x-portable-graymap': pnm,
    'image/jpeg': viaSharp,
    'image/png': viaSharp,
    'image/webp': viaSharp,
  };
}

module.exports = { makeDecoders, HttpError };
