// The TypeScript algorithm names (ConvAlgorithmName is the union of these two lists) equal what the native
// registries list, name for name and in order, on both devices: an algorithm added in C++ without its name
// here (or the other way round) fails this test. The CUDA list is host logic: it answers without a GPU.
import { convAlgorithms } from '../../lib';
import { CPU_CONV_ALGORITHMS, CUDA_CONV_ALGORITHMS } from '../../lib/functional/conv';

const layer = { input: [1, 4, 9, 9], weight: [8, 4, 3, 3], padding: 1 } as const;

describe('registry names', () => {
  test("the CPU registry's list is CPU_CONV_ALGORITHMS", () => {
    expect(convAlgorithms({ input: [...layer.input], weight: [...layer.weight], padding: 1 }, 'cpu').map((a) => a.name))
      .toEqual([...CPU_CONV_ALGORITHMS]);
  });
  test("the CUDA registry's list is CUDA_CONV_ALGORITHMS", () => {
    expect(convAlgorithms({ input: [...layer.input], weight: [...layer.weight], padding: 1 }, 'cuda').map((a) => a.name))
      .toEqual([...CUDA_CONV_ALGORITHMS]);
  });

});
