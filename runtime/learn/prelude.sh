# Functions for a lesson's `check` blocks (see lessons/README.md).
# The runner sources this before each check, with LESSON_OUTPUT (a file with
# the output of the step's last command), LESSON_EXIT (its exit status) and
# LESSON_ID (the lesson's id) set, and this glass first on PATH.

# The output of the last command contains TEXT (a fixed string).
output_has() { grep -qF -- "$1" "$LESSON_OUTPUT"; }

# A line of the output matches the extended regular expression.
output_matches() { grep -qE -- "$1" "$LESSON_OUTPUT"; }

# The last command exited with N.
exit_code_is() { [ "${LESSON_EXIT:-}" = "$1" ]; }

# The container's state (running, exited, created...), or nothing when there is no such container.
status_of() { glass inspect --type container -f '{{.State.Status}}' "$1" 2>/dev/null || true; }

# IDs of this lesson's containers (they carry the label glass.lesson=<id>); extra arguments go to ps.
lesson_containers() { glass ps -a -q --no-trunc --filter "label=glass.lesson=$LESSON_ID" "$@"; }
