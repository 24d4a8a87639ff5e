-- One row per enforcement action (latest export wins for a repeated action_id).
{{ latest_export_of(
    'enforcement_actions',
    columns=[
        'action_id', 'action_at', 'action_type', 'reason', 'target_type', 'target_id',
        'session_id', 'campaign', 'gang_id', 'case_id', 'reporter_id', 'amount_involved',
    ],
    unique_by=['action_id'],
) }}
