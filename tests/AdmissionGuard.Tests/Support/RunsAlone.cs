namespace AdmissionGuard.Tests.Support;

/// <summary>Tests that measure the whole process (its resident memory) run in this collection, after the others, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
