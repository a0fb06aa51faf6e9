using AdmissionGuard.Core;

namespace AdmissionGuard.Admission;

/// <summary>An AdmissionReview that cannot be answered: HTTP 400 with this one-line reason (input it quotes is escaped, <see cref="OneLine"/>).</summary>
public sealed class BadReviewException(string reason) : Exception(OneLine.Escape(reason));
