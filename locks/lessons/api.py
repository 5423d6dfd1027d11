"""The lessons, for the customer's app: the catalogue and one lesson, in the request's language."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCustomer
from locks.lessons.catalogue import LESSONS, LESSONS_BY_ID, Lesson
from securitycenter.errors import NotFound
from securitycenter.openapi import problem_responses


class LessonSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())


class LessonSerializer(LessonSummarySerializer):
    signs = serializers.ListField(child=serializers.CharField(), help_text="How to recognise it")
    what_to_do = serializers.ListField(child=serializers.CharField())


def lesson_data(lesson: Lesson, *, full: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lesson.id,
        "title": str(lesson.title),
        "summary": str(lesson.summary),
        "tags": list(lesson.tags),
    }
    if full:
        data["signs"] = [str(s) for s in lesson.signs]
        data["what_to_do"] = [str(s) for s in lesson.what_to_do]
    return data


class LessonListView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(
        operation_id="lessons_list",
        summary="The lessons (安全课堂) on the tricks fraudsters use",
        responses={200: LessonSummarySerializer(many=True), **problem_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(LessonSummarySerializer([lesson_data(x, full=False) for x in LESSONS], many=True).data)


class LessonDetailView(APIView):
    permission_classes = [IsCustomer]

    @extend_schema(summary="One lesson", responses={200: LessonSerializer, **problem_responses(401, 403, 404)})
    def get(self, request: Request, lesson_id: str) -> Response:
        lesson = LESSONS_BY_ID.get(lesson_id)
        if lesson is None:
            raise NotFound(_("No such lesson."), field="lesson_id")
        return Response(LessonSerializer(lesson_data(lesson, full=True)).data)
