"""A stand-in for the one TensorFlow call the DLRT reference's LeNet5 script makes.

`tf.keras.datasets.mnist.load_data()` returns MNIST's train and test arrays; this package reads
them from the IDX files in $MNIST_DIR instead (see Benchmarks/torch/run_reference_lenet.sh).
"""
from . import keras

__all__ = ["keras"]
