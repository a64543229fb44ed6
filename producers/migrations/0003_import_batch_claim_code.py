"""The spreadsheet import's records: ImportBatch (an uploaded file between preview and commit)
and ClaimCode (one-time codes with which producers take over an imported business)."""

import django.db.models.deletion
import producers.importing.models
import producers.validators
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('producers', '0002_product_search_text'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportBatch',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded')),
                ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                ('file', models.FileField(blank=True, storage=producers.validators.PrivateMediaStorage(), upload_to=producers.importing.models._import_upload_to, verbose_name='file')),
                ('file_format', models.CharField(max_length=8, verbose_name='format')),
                ('encoding', models.CharField(blank=True, max_length=32, verbose_name='encoding')),
                ('delimiter', models.CharField(blank=True, max_length=4, verbose_name='delimiter')),
                ('sheet_name', models.CharField(blank=True, max_length=64, verbose_name='sheet')),
                ('header_row', models.PositiveIntegerField(default=0, verbose_name='header row')),
                ('headers', models.JSONField(default=list, verbose_name='column headers')),
                ('mapping', models.JSONField(default=list, verbose_name='column mapping')),
                ('status', models.CharField(choices=[('uploaded', 'Waiting for import'), ('committed', 'Imported')], default='uploaded', max_length=16, verbose_name='status')),
                ('committed_at', models.DateTimeField(blank=True, null=True, verbose_name='imported')),
                ('summary', models.JSONField(blank=True, default=dict, verbose_name='summary')),
                ('producer_ids', models.JSONField(blank=True, default=list)),
                ('committed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='imported by')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
            ],
            options={
                'verbose_name': 'spreadsheet import',
                'verbose_name_plural': 'spreadsheet imports',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='ClaimCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('channel', models.CharField(choices=[('print', 'Printed'), ('email', 'Emailed')], max_length=8, verbose_name='sent by')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='sent to')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='issued')),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('used_at', models.DateTimeField(blank=True, null=True, verbose_name='used')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                ('producer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='claim_codes', to='producers.producer', verbose_name='producer')),
                ('used_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='used by')),
            ],
            options={
                'verbose_name': 'claim code',
                'verbose_name_plural': 'claim codes',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['producer', '-created_at'], name='claim_code_producer')],
            },
        ),
    ]
