// The networks, with torchvision 0.14's module trees and state_dict keys.
export { AlexNet, AlexNetOriginal, alexnet, alexnetOriginal } from './alexnet';
export type { AlexNetOptions } from './alexnet';
export { VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from './vgg';
export type { VGGOptions } from './vgg';
export { GoogLeNet, BasicConv2d, Inception, InceptionAux, googlenet } from './googlenet';
export type { GoogLeNetOptions, GoogLeNetOutputs } from './googlenet';
export { ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet';
export type { ResNetOptions } from './resnet';
export { DenseNet, DenseLayer, DenseBlock, Transition, densenet121, densenet161, densenet169, densenet201 } from './densenet';
export type { DenseNetOptions } from './densenet';
export { load, listWeights, weightsInfo, fetchWeights, imagenetCategories, modelNames } from './load';
export type { LoadOptions, LoadedModel, WeightsInfo } from './load';
export { cacheDir, checkpointPath, checkpointUrl, fetchCheckpoint } from './hub';
export type { DownloadOptions, CheckpointSpec } from './hub';
