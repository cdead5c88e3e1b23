// Conformance tests mostly wait on sockets; let many test classes run at once.
[assembly: CollectionBehavior(MaxParallelThreads = 8)]
