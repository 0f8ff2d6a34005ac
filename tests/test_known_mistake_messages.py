"""Reports name the exact mistake for buggy submissions that a suite recognises.

The diagnosis corpus checks the kind of mistake, and many of these mistakes
have none (kind: other). Here each listed submission must get a failed test
whose message contains the sentence that names its mistake.
"""

import pytest

from support import SUBMISSIONS, grade_file

#: (submission under tests/submissions, seed, words the report must contain).
CASES = [
    ("ex03_activations/bug_sigmoid_derivative_extra_factor", 0, "dout * s * (1 - s) ** 2, one factor (1 - s) too many"),
    ("ex04_losses/bug_ce_logsumexp_unshifted", 0, "what log(sum(exp(z))) gives without subtracting the row maximum"),
    ("ex04_losses/bug_mse_grad_batch_mean", 0, "divided by pred.shape[0] = 4 (the batch) where it should be divided by pred.size = 12"),
    ("ex04_losses/bug_mse_no_factor_two", 0, "the 2 from the derivative of the square is missing"),
    ("ex04_losses/bug_ce_ignores_dout", 0, "dlogits equals the gradient for dout = 1: backward ignores its argument dout"),
    ("ex07_autograd/bug_topo_order_repeats_nodes", 1, "A node listed more than once in the topological order"),
    ("ex07_autograd/bug_rsub_order", 1, "failed on a wrong input: the first wrong value in build order is"),
    ("ex11_conv/bug_dx_crop_negative_padding", 0, "takes 0:-0, that is 0:0, when the padding is 0"),
    ("ex11_conv/bug_db_batch_mean", 0, "grads['b'] is the mean over the batch of N = 2 examples, not the sum"),
    ("ex16_attention/bug_softmax_over_queries", 0, "the softmax over the queries (axis -2) instead of over the keys"),
    ("ex16_attention/bug_softmax_diagonal_backward", 0, "uses only the diagonal of its Jacobian"),
    ("ex16_attention/bug_keys_transposed_3d", 0, "k.T reverses all three axes"),
    ("ex16_attention/bug_scale_by_value_size", 0, "the scores are divided by sqrt(dv)"),
    ("ex16_attention/bug_heads_split_without_transpose", 0, "without moving the head axis before the positions"),
    ("ex16_attention/bug_causal_upper_triangle", 0, "the causal mask is the upper triangle, np.triu"),
    ("ex16_attention/bug_mask_multiply", 0, "masked keys get a score of 0 instead of -inf"),
    ("ex16_attention/bug_no_scale_in_backward", 0, "backward omits the 1/sqrt(d) that scales the scores"),
    ("ex16_attention/bug_mha_bias_grads_mean", 0, "the bias gradients are the mean over the batch and the positions"),
    ("ex16_attention/bug_q_scaled_in_place_twice", 0, "dk is the correct value divided by sqrt(d)"),
    ("ex16_attention/bug_dx_query_path_only", 0, "dx follows only the query projection"),
]


@pytest.mark.parametrize("submission, seed, words", CASES, ids=[case[0] for case in CASES])
def test_report_names_the_mistake(submission, seed, words):
    folder, name = submission.split("/")
    report = grade_file(folder[2:4], SUBMISSIONS / folder / f"{name}.py", seed=seed)
    failed = [test for test in report.tests if test.status != "passed"]
    assert failed, "the submission earned full marks"
    assert any(words in test.message for test in failed), "\n\n".join(
        f"{test.name}:\n{test.message}" for test in failed)
