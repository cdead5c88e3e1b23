// Packet structs, scratch spans and property blocks are always written before they are read; zeroing them
// first is measurable on small packets (docs/codec.md, "Performance").
[module: System.Runtime.CompilerServices.SkipLocalsInit]
