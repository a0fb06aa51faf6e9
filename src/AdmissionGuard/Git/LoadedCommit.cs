using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>A commit read into a baseline, with the manifest texts it was built from, its sources, and what each file declares (what is persisted).</summary>
/// <param name="Declared">The policies of each of <paramref name="Files"/>, in the same order.</param>
internal sealed record LoadedCommit(
    Baseline Baseline, IReadOnlyList<ManifestFile> Files, IReadOnlyList<Sources.SourceReport> Sources, IReadOnlyList<IReadOnlyList<DeclaredPolicy>> Declared);
