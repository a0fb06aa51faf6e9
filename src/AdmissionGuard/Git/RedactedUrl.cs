using System.Text.RegularExpressions;

namespace AdmissionGuard.Git;

/// <summary>Removes credentials from repository URLs before they reach a log line, /status or an error message.</summary>
public static partial class RedactedUrl
{
    /// <summary><c>https://user:token@host/repo</c> becomes <c>https://***@host/repo</c>, in a URL or anywhere in a message.</summary>
    public static string Redact(string text) => UserInfo().Replace(text, "$1***@");

    [GeneratedRegex(@"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")]
    private static partial Regex UserInfo();
}
