namespace AdmissionGuard.Git;

/// <summary>
/// A repository address split into what may be stored (the URL without user info, as written into the
/// bare clone's config) and the credentials it carried, which are handed to libgit2 only when it asks.
/// </summary>
internal sealed record RepositoryUrl(string Address, string? UserName, string? Password)
{
    /// <summary>
    /// The repository as it may be stored or hashed into a cache name: a URL with user info loses it; anything else
    /// is returned as written, so the names of existing caches do not change.
    /// </summary>
    public static string WithoutCredentials(string? repository) =>
        repository is null ? "" : Parse(repository) is { UserName: not null } parsed ? parsed.Address : repository;

    public static RepositoryUrl Parse(string repository)
    {
        if (!repository.Contains("://", StringComparison.Ordinal))
        {
            return new RepositoryUrl(Path.GetFullPath(repository), null, null);
        }

        if (!Uri.TryCreate(repository, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
        {
            return new RepositoryUrl(repository, null, null);
        }

        var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var (user, password) = separator < 0
            ? (uri.UserInfo, null)
            : (uri.UserInfo[..separator], uri.UserInfo[(separator + 1)..]);
        var address = new UriBuilder(uri) { UserName = "", Password = "" }.Uri.AbsoluteUri;
        return new RepositoryUrl(address, Uri.UnescapeDataString(user), password is null ? null : Uri.UnescapeDataString(password));
    }
}
