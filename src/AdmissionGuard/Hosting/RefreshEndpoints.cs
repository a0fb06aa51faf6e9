using System.Security.Cryptography;
using System.Text;
using AdmissionGuard.Git;
using Microsoft.Extensions.Options;

namespace AdmissionGuard.Hosting;

/// <summary>
/// <c>POST /refresh</c> on the ops listener: a Git push hook. With <c>Git:WebhookSecret</c> set, the
/// body must carry a valid <c>X-Hub-Signature-256</c> (HMAC-SHA256, hex, as GitHub and Gitea send it).
/// </summary>
public static class RefreshEndpoints
{
    public const string SignatureHeader = "X-Hub-Signature-256";
    private const int MaxBodyBytes = 1024 * 1024;

    public static WebApplication MapRefresh(this WebApplication app)
    {
        app.MapPost("/refresh", Refresh).WithMetadata(ServedOn.Ops);
        return app;
    }

    private static async Task<IResult> Refresh(HttpContext context, IOptions<GitSettings> git, BaselineRefresher refresher)
    {
        if (git.Value.WebhookSecret is { Length: > 0 } secret)
        {
            using var body = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxBodyBytes)
                {
                    return Results.Text("push hook body is larger than 1 MiB\n", statusCode: StatusCodes.Status413PayloadTooLarge);
                }

                body.Write(buffer, 0, read);
            }

            if (!SignatureMatches(context.Request.Headers[SignatureHeader].ToString(), secret, body.ToArray()))
            {
                return Results.Text($"missing or wrong {SignatureHeader} (HMAC-SHA256 of the body with Git:WebhookSecret)\n", statusCode: StatusCodes.Status401Unauthorized);
            }
        }

        refresher.RequestRefresh(urgent: true);
        return Results.Text("refresh requested\n", statusCode: StatusCodes.Status202Accepted);
    }

    public static bool SignatureMatches(string header, string secret, byte[] body)
    {
        const string prefix = "sha256=";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] claimed;
        try
        {
            claimed = Convert.FromHexString(header.AsSpan(prefix.Length).Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }
}
