// PIL's Image.resize for 8-bit images, bit for bit (libImaging/Resample.c, Pillow 9): antialiased
// bilinear or bicubic (a = -0.5) weights computed in double, turned into 22-bit fixed point, a horizontal
// pass rounded to 8 bits, then a vertical pass. What torchvision's PIL pipeline feeds its networks, so a
// preset built on it gives torchvision's tensors exactly (F.interpolate is the float version of the same
// filter, within one 8-bit step).
#pragma once
#include <cstdint>

namespace convnets::cpu {

// src H × W × C interleaved (C 1-4) → dst OH × OW × C. bicubic: false = PIL's BILINEAR, true = BICUBIC.
void resizePil(const uint8_t* src, int64_t H, int64_t W, int64_t C, uint8_t* dst, int64_t OH, int64_t OW,
               bool bicubic);

}  // namespace convnets::cpu
