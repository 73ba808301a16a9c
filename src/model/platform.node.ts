/**
 * The Node side of the model module, installed by importing this file for its effects: the
 * backend hooks (tfjs-node, the WASM binaries' location), the TensorFlow.js worker pools for
 * models the training engine declines, and the training engine's worker threads. Every Node
 * entry point into the module imports it.
 */
import './backend.node.js';
import './predict.node.js';
import './train.node.js';
import './engine/team.node.js';
