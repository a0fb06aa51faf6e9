namespace AdmissionGuard.Git;

/// <summary>
/// What was read from each file of the last commit that loaded, by path and blob. A new commit mostly changes a
/// few files: the others have the same blob, and what was read from them is taken as it is instead of being parsed
/// again. File texts are not kept: a baseline of 50,000 files would hold them twice, for nothing.
/// </summary>
/// <remarks>Kept by the one refresh loop that loads commits; holds only the last good commit's files.</remarks>
internal sealed class ParsedManifests
{
    private Dictionary<string, (string BlobId, IReadOnlyList<DeclaredPolicy> Policies)> _read = new(StringComparer.Ordinal);

    /// <summary>What was read from this file the last time, when its blob is the same; null for a render or a changed file.</summary>
    public IReadOnlyList<DeclaredPolicy>? Policies(ManifestFile file) =>
        file.BlobId is { } blobId && _read.TryGetValue(file.Path, out var kept) && kept.BlobId == blobId ? kept.Policies : null;

    /// <summary>Replaces what is kept with a commit that loaded.</summary>
    public void Keep(IReadOnlyList<ManifestFile> files, IReadOnlyList<IReadOnlyList<DeclaredPolicy>> policies)
    {
        var read = new Dictionary<string, (string, IReadOnlyList<DeclaredPolicy>)>(files.Count, StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].BlobId is { } blobId)
            {
                read[files[i].Path] = (blobId, policies[i]);
            }
        }

        _read = read;
    }
}
