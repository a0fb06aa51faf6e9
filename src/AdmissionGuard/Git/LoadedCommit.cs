using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>A commit read into a baseline, with the manifest texts it was built from (what is persisted) and its sources.</summary>
internal sealed record LoadedCommit(Baseline Baseline, IReadOnlyList<ManifestFile> Files, IReadOnlyList<Sources.SourceReport> Sources);
