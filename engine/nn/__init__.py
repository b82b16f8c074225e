"""Shared layers: equalised-lr linear/conv, modulated conv, FIR resampling, noise, minibatch stddev."""

from engine.nn.equalized import EqualConv2d, EqualLinear, lrelu_gain
from engine.nn.fir import blur2d, downsample2d, make_fir, upfirdn2d, upsample2d
from engine.nn.modconv import modulated_conv2d
from engine.nn.stddev import MinibatchStdDev

__all__ = [
    "EqualConv2d",
    "EqualLinear",
    "MinibatchStdDev",
    "blur2d",
    "downsample2d",
    "lrelu_gain",
    "make_fir",
    "modulated_conv2d",
    "upfirdn2d",
    "upsample2d",
]
