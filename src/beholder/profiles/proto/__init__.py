"""pprof's profile.proto and its generated protobuf classes (see README.md to regenerate)."""
