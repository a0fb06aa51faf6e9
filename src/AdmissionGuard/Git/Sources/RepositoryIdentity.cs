using System.Collections.Immutable;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Whether a URL a GitOps object names is this repository: <c>git@host:org/repo.git</c>, <c>ssh://git@host/org/repo</c>
/// and <c>https://host/org/repo(.git)(/)</c> are one repository; <c>Git:Repository</c> and every alias count.
/// </summary>
internal sealed record RepositoryIdentity(ImmutableHashSet<string> Keys)
{
    public static RepositoryIdentity Of(string? repository, IEnumerable<string> aliases) =>
        new([.. new[] { repository ?? "" }.Concat(aliases).Select(Key).Where(k => k.Length > 0)]);

    public bool Names(string? url) => url is { Length: > 0 } && Keys.Contains(Key(url));

    /// <summary><c>host/org/repo</c>, lower-case host, without scheme, user, port, <c>.git</c> or a trailing slash; a local path as it is.</summary>
    public static string Key(string url)
    {
        var text = url.Trim();
        if (text.Length == 0)
        {
            return "";
        }

        string host, path;
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                return text;
            }

            if (uri.IsFile)
            {
                return Path.GetFullPath(uri.LocalPath).TrimEnd('/');
            }

            (host, path) = (uri.Host, uri.AbsolutePath);
        }
        else if (text.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 && !text[..colon].Contains('/', StringComparison.Ordinal))
        {
            // scp-like: [user@]host:org/repo.git
            var at = text.LastIndexOf('@', colon);
            (host, path) = (text[(at + 1)..colon], text[(colon + 1)..]);
        }
        else
        {
            return Path.GetFullPath(text).TrimEnd('/');
        }

        path = Uri.UnescapeDataString(path).Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        return $"{host.ToLowerInvariant()}/{path}";
    }
}
