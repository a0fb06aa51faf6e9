namespace AdmissionGuard.Git;

/// <summary>
/// The files of the last commit that loaded, and what was read from them. A new commit mostly changes a few files:
/// the others have the same blob, and are taken as they are instead of being decoded and parsed again.
/// </summary>
/// <remarks>
/// Kept by the one refresh loop that loads commits; holds only the last good commit's files, and those without their
/// texts (about 125 MB at 50,000 files): an unchanged file is not read again, and the persisted baseline holds what was
/// read from each file, so nothing needs them once the commit is loaded.
/// </remarks>
internal sealed class ParsedManifests
{
    private Dictionary<string, (ManifestFile File, IReadOnlyList<DeclaredPolicy> Policies)> _kept = new(StringComparer.Ordinal);

    /// <summary>The last commit's file at this path, without its text, when its blob is the same.</summary>
    public ManifestFile? File(string path, string blobId) =>
        _kept.TryGetValue(path, out var kept) && kept.File.BlobId == blobId ? kept.File : null;

    /// <summary>What was read from this file the last time, when its blob is the same; null for a render or a changed file.</summary>
    public IReadOnlyList<DeclaredPolicy>? Policies(ManifestFile file) =>
        file.BlobId is { } blobId && _kept.TryGetValue(file.Path, out var kept) && kept.File.BlobId == blobId ? kept.Policies : null;

    /// <summary>Forgets every file: the next commit reads them all.</summary>
    public void Clear() => _kept = new(StringComparer.Ordinal);

    /// <summary>Replaces what is kept with a commit that loaded.</summary>
    public void Keep(IReadOnlyList<ManifestFile> files, IReadOnlyList<IReadOnlyList<DeclaredPolicy>> policies)
    {
        var kept = new Dictionary<string, (ManifestFile, IReadOnlyList<DeclaredPolicy>)>(files.Count, StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].BlobId is not null)
            {
                // Without what the file held before its policies were shared (a persisted file's Read): only the shared copies stay.
                kept[files[i].Path] = (files[i].Text.Length == 0 && files[i].Read is null ? files[i] : files[i] with { Text = "", Read = null }, policies[i]);
            }
        }

        _kept = kept;
    }
}
